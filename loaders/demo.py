"""Demo records for trying the platform: marked ``is_demo``, never mixed silently with real data.

Every record made here carries ``is_demo=True`` (users too), demo institutions and users say
"Demo" in their names, and ``demo_remove`` deletes exactly these records.
"""

from __future__ import annotations

import random
from base64 import b32decode
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.choices import TextOrigin
from core.history import history_forgotten
from core.translations import text_provenance_set
from dashboard.glance import glance_invalidate
from loaders.grants import object_permissions_rebuild
from notifications.services import preference_set
from programme import services as programme_services
from programme.calculations import calculation_get
from programme.choices import ActionPointStatus, Aggregation, IndicatorKind, MeetingFormat
from programme.models import (
    Action,
    ActionPoint,
    Decision,
    Indicator,
    IndicatorEvidence,
    IndicatorValue,
    IndicatorValueTransition,
    Meeting,
    MeetingAttendance,
    Outcome,
    OutcomeNarrative,
    Output,
    PeriodNarrative,
    PeriodRisk,
    ReportingPeriod,
)
from recommendations import services as rec_services
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import Assignment, Evidence, ProgressUpdate, Recommendation
from research.choices import StudyStatus
from research.models import Study, StudyStatusChange
from research.services import study_advance
from stakeholders import object_permissions
from stakeholders.choices import InstitutionKind, MembershipRole, Sex
from stakeholders.models import Institution, ProfessionalGroup, User
from stakeholders.roles import programme_team_add
from stakeholders.services import membership_set
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Evaluation, Participant, Topic, Training

DEMO_PASSWORD = "demo-Skopje-2024"  # noqa: S105 - printed for anyone trying the demo
# demo-admin's authenticator secret (base32), fixed and printed so anyone trying the demo can
# pass the admin's second factor. Never a real account's: demo data is refused in production.
DEMO_TOTP_SECRET = "DEMO" * 8


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    institution_code: str
    membership_role: str
    is_superuser: bool = False


DEMO_LOGINS = [
    DemoLogin(
        "demo-admin", "Programme team (administrator)", "coe", MembershipRole.FOCAL_POINT, True
    ),
    DemoLogin("demo-observer", "EU Delegation observer", "eu-delegation", MembershipRole.VIEWER),
    DemoLogin("demo-ministry", "Ministry focal point (MSPDY)", "mspdy", MembershipRole.FOCAL_POINT),
    DemoLogin(
        "demo-cso-a", "CSO focal point (Demo CSO A)", "demo-cso-a", MembershipRole.FOCAL_POINT
    ),
    DemoLogin(
        "demo-cso-b", "CSO focal point (Demo CSO B)", "demo-cso-b", MembershipRole.FOCAL_POINT
    ),
]

# Made-up names, common in North Macedonia; the generator's people are named from them too.
FIRST_NAMES = {
    Sex.FEMALE: [
        "Ana",
        "Elena",
        "Marija",
        "Biljana",
        "Arta",
        "Blerta",
        "Jasmina",
        "Ardita",
        "Vesna",
        "Drita",
        "Ivana",
        "Mimoza",
        "Sara",
        "Teuta",
        "Katerina",
        "Lirije",
    ],
    Sex.MALE: [
        "Aleksandar",
        "Bujar",
        "Dejan",
        "Arben",
        "Goran",
        "Besnik",
        "Nikola",
        "Driton",
        "Stefan",
        "Fatos",
        "Marko",
        "Ilir",
        "Petar",
        "Agron",
        "Viktor",
        "Luan",
    ],
}
LAST_NAMES = [
    "Petrovska",
    "Stojanov",
    "Ademi",
    "Krasniqi",
    "Nikolovski",
    "Hoxha",
    "Trajkovska",
    "Jashari",
    "Ristov",
    "Osmani",
    "Dimitrovska",
    "Bajrami",
    "Georgiev",
    "Selmani",
    "Angelovska",
    "Ziberi",
    "Kostov",
    "Rexhepi",
    "Mitrevska",
    "Ismaili",
]


def demo_is_loaded() -> bool:
    return User.objects.filter(is_demo=True).exists()


def _check_allowed() -> None:
    if not settings.DEMO_DATA_ALLOWED:
        raise ImproperlyConfigured(
            "Demo data is switched off for this installation (DJANGO_DEMO_DATA_ALLOWED is false), "
            "so it cannot mix with real data."
        )


@transaction.atomic
def demo_load(*, action: Action) -> bool:
    """Add the demo records to a seeded action. Returns False when they are already there."""
    _check_allowed()
    if demo_is_loaded():
        return False
    rng = random.Random(2024)  # noqa: S311 - reproducible demo figures, not security
    inst = _institutions()
    users = _users(inst)
    periods = _periods(action)
    _assignments(inst)
    groups = {g.slug: g for g in ProfessionalGroup.objects.all()}
    topics = {t.slug: t for t in Topic.objects.all()}
    recs = {r.number: r for r in Recommendation.objects.all()}
    trainings = _trainings(action, inst, groups, topics, recs)
    _participants(rng, trainings, inst, groups)
    _studies(action, inst, users["demo-admin"])
    indicators = _results_framework(action, periods)
    _meetings(action, inst, recs)
    _updates(inst, users, periods, recs)
    _reported_values(indicators, periods, users)
    _period_closed(periods, users)
    _period_narrative(action, periods[-1])
    _notification_preferences(users)
    object_permissions_rebuild()
    glance_invalidate()
    return True


# Each demo login shows a different email choice; the review steps above left them notices.
DEMO_EMAIL_FREQUENCY = {"demo-admin": "weekly", "demo-cso-a": "immediately", "demo-observer": "off"}


def _notification_preferences(users: dict[str, User]) -> None:

    for username, user in users.items():
        preference_set(user=user, frequency=DEMO_EMAIL_FREQUENCY.get(username, "daily"))


def _institutions() -> dict[str, Institution]:
    inst = {i.code: i for i in Institution.objects.exclude(code=None) if i.code}
    for code, en, mk, sq, short in [
        (
            "demo-cso-a",
            "Demo Association for Victim Support",
            "Демо здружение за поддршка на жртви",
            "Shoqata Demo për Mbështetjen e Viktimave",
            ("Demo CSO A", "Демо ГО А", "OShC Demo A"),
        ),
        (
            "demo-cso-b",
            "Demo Youth Education Network",
            "Демо мрежа за едукација на млади",
            "Rrjeti Demo për Edukimin e të Rinjve",
            ("Demo CSO B", "Демо ГО Б", "OShC Demo B"),
        ),
    ]:
        inst[code] = Institution.objects.create(
            code=code,
            name_en=en,
            name_mk=mk,
            name_sq=sq,
            short_name_en=short[0],
            short_name_mk=short[1],
            short_name_sq=short[2],
            kind=InstitutionKind.CSO,
            country="North Macedonia",
            is_demo=True,
        )
        _working_translations(inst[code], "name", "short_name")
    return inst


def _working_translations(obj: Model, *fields: str) -> None:
    """Record the demo's Macedonian and Albanian texts of ``fields`` as working translations
    (made up with the demo, vouched for by no one), as the seed records its own."""
    for field in fields:
        for language in ("mk", "sq"):
            text_provenance_set(obj=obj, field=field, language=language, origin=TextOrigin.WORKING)


def _users(inst: dict[str, Institution]) -> dict[str, User]:
    users = {}
    for login in DEMO_LOGINS:
        user = User(
            username=login.username,
            first_name="Demo",
            last_name=login.role,
            email=f"{login.username}@example.org",
            is_staff=login.is_superuser,
            is_superuser=login.is_superuser,
            is_demo=True,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        if user.is_staff:
            demo_totp_device(user=user).save()
            programme_team_add(user=user)
        membership_set(
            user=user, institution=inst[login.institution_code], role=login.membership_role
        )
        users[login.username] = user
    return users


def demo_totp_device(*, user: User) -> TOTPDevice:
    """The demo administrator's authenticator app, unsaved, with the printed secret."""
    key = b32decode(DEMO_TOTP_SECRET).hex()
    return TOTPDevice(user=user, name="Demo authenticator", key=key, confirmed=True)


def demo_totp_uri() -> str:
    """The otpauth:// address an authenticator app takes for demo-admin."""
    return str(demo_totp_device(user=User(username="demo-admin")).config_url)


def demo_totp_code() -> str:
    """The code demo-admin's authenticator app shows right now."""
    device = demo_totp_device(user=User(username="demo-admin"))
    token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    return f"{token:0{device.digits}d}"


def _periods(action: Action) -> list[ReportingPeriod]:
    return demo_half_years(action=action, years=range(2024, 2027))


def demo_half_years(
    *, action: Action, years: range, until: date | None = None
) -> list[ReportingPeriod]:
    """Demo reporting periods, two a year ("2025 H1", "2025 H2"), each due a fortnight after
    it ends; with ``until``, none that starts after that day."""
    periods = []
    for year in years:
        for half, (start, end, due) in enumerate(
            [
                (date(year, 1, 1), date(year, 6, 30), date(year, 7, 15)),
                (date(year, 7, 1), date(year, 12, 31), date(year + 1, 1, 15)),
            ],
            start=1,
        ):
            if until is not None and start > until:
                continue
            period, _created = ReportingPeriod.objects.get_or_create(
                action=action,
                name=f"{year} H{half}",
                defaults={"start_date": start, "end_date": end, "due_date": due, "is_demo": True},
            )
            periods.append(period)
    return periods


def _assignments(inst: dict[str, Institution]) -> None:
    for code, numbers in (("demo-cso-a", (6, 7, 14)), ("demo-cso-b", (6, 10, 14))):
        for number in numbers:
            rec_services.assignment_set(
                recommendation=Recommendation.objects.get(number=number),
                institution=inst[code],
                kind=AssignmentKind.INVITED,
                is_demo=True,
            )


def _trainings(
    action: Action,
    inst: dict[str, Institution],
    groups: dict[str, ProfessionalGroup],
    topics: dict[str, Topic],
    recs: dict[int, Recommendation],
) -> list[Training]:
    specs = [
        (
            "Identifying victims of trafficking for labour exploitation",
            date(2024, 3, 12),
            date(2024, 3, 13),
            "Skopje",
            "coe",
            ["labour-inspectorate", "moi"],
            ["labour-exploitation"],
            ["labour-inspectors", "police-officers"],
            [5, 12],
        ),
        (
            "Recognising and referring child victims of trafficking",
            date(2024, 5, 21),
            date(2024, 5, 22),
            "Tetovo",
            "mspdy",
            ["coe"],
            ["child-trafficking"],
            ["social-workers", "child-protection-specialists"],
            [4, 10],
        ),
        (
            "Reporting on human trafficking: a workshop for journalists and CSOs",
            date(2024, 10, 8),
            date(2024, 10, 8),
            "Ohrid",
            "coe",
            ["demo-cso-a"],
            ["labour-exploitation"],
            ["journalists", "cso-representatives"],
            [6, 14],
        ),
        (
            "Online recruitment and ICT-facilitated trafficking",
            date(2025, 2, 18),
            date(2025, 2, 19),
            "Skopje",
            "moi",
            ["coe"],
            ["ict-and-trafficking"],
            ["police-officers", "cso-representatives"],
            [7, 11],
        ),
    ]
    trainings = []
    for title, start, end, city, organiser, partners, tps, tgs, rec_numbers in specs:
        training = Training.objects.create(
            action=action,
            **_in_three("title", title),
            start_date=start,
            end_date=end,
            city=city,
            venue=f"Training centre, {city}",
            organiser=inst[organiser],
            status=TrainingStatus.HELD,
            **_in_three("methodology", "Interactive methods: case studies and role play"),
            is_demo=True,
        )
        _working_translations(training, "title", "methodology")
        training.partners.set([inst[p] for p in partners])
        training.topics.set([topics[t] for t in tps])
        training.target_groups.set([groups[g] for g in tgs])
        training.recommendations.set([recs[n] for n in rec_numbers])
        trainings.append(training)
    upcoming = Training.objects.create(
        action=action,
        **_in_three("title", "Free legal aid for trafficking victims: regional follow-up"),
        start_date=date(2026, 12, 8),
        end_date=date(2026, 12, 9),
        city="Bitola",
        organiser=inst["mspdy"],
        status=TrainingStatus.PLANNED,
        is_demo=True,
    )
    _working_translations(upcoming, "title")
    upcoming.topics.set([topics["free-legal-aid"]])
    upcoming.target_groups.set([groups["lawyers"], groups["social-workers"]])
    return trainings


def _participants(
    rng: random.Random,
    trainings: list[Training],
    inst: dict[str, Institution],
    groups: dict[str, ProfessionalGroup],
) -> None:
    workplaces = {
        "labour-inspectors": "labour-inspectorate",
        "police-officers": "moi",
        "social-workers": "mspdy",
        "child-protection-specialists": "mspdy",
        "journalists": None,
        "cso-representatives": "demo-cso-a",
    }
    pool: list[Participant] = []
    used: set[str] = set()
    for training in trainings:
        target = list(training.target_groups.all())
        # A few people come back to a later training: the registry keeps one record each.
        returning = [p for p in pool if p.professional_group in target][:3]
        for participant in returning + [None] * (12 - len(returning)):
            if participant is None:
                sex = rng.choice([Sex.FEMALE, Sex.FEMALE, Sex.MALE])
                while True:
                    name = f"{rng.choice(FIRST_NAMES[sex])} {rng.choice(LAST_NAMES)}"
                    if name not in used:
                        used.add(name)
                        break
                group = rng.choice(target)
                workplace = workplaces.get(group.slug)
                participant = Participant.objects.create(
                    full_name=name,
                    sex=sex,
                    professional_group=group,
                    institution=inst[workplace] if workplace else None,
                    registered_by_institution=training.organiser,
                    is_demo=True,
                )
                pool.append(participant)
            pre = Decimal(rng.randint(35, 70))
            post = min(Decimal(100), pre + rng.randint(5, 30))
            # Everyone consented at each training they came to, so the demo reports name them.
            Attendance.objects.create(
                training=training,
                participant=participant,
                pre_score=pre,
                post_score=post,
                consent=True,
                consent_date=training.start_date,
            )
        Evaluation.objects.create(
            training=training,
            respondents=rng.randint(9, 12),
            overall_rating=Decimal(rng.randint(38, 49)) / 10,
            relevance_rating=Decimal(rng.randint(40, 50)) / 10,
            summary="Participants valued the interactive methods and the case studies.",
            lessons_learned="More time for practical exercises on referral procedures.",
        )


@dataclass(frozen=True)
class DemoIndicator:
    """An indicator of the demo framework, with its target for each demo period."""

    output: str  # the output's code, or "" for an outcome-level indicator
    code: str
    title: str
    unit: str
    targets: tuple[int, ...]  # one per demo period, oldest first
    target_end: int
    calculation: str = ""  # empty: reported by ``responsible``
    parameters: tuple[tuple[str, object], ...] = ()
    by_sex: bool = False
    aggregation: str = Aggregation.SUM
    source: str = ""
    responsible: str = ""


# Outcomes and outputs: code, title.
DEMO_OUTCOMES = {
    "1": "Professionals have the capacity to prevent and combat child trafficking and "
    "trafficking for labour exploitation",
    "2": "Anti-trafficking policy and practice draw on research evidence",
    "3": "Institutions implement the recommendations and account for their progress",
}
DEMO_OUTPUTS = {
    "1.1": "Trainings delivered to labour inspectors, police officers, social workers, "
    "journalists and CSOs",
    "1.2": "Frontline officers trained to identify victims",
    "2.1": "Studies commissioned and validated",
    "3.1": "The steering committee follows up its decisions and the institutions' reports",
    "3.2": "Schools and communities learn to recognise the risks of trafficking",
}
# Targets that the demo records meet in some periods and miss in others, so the framework
# shows indicators on track and behind. Computed wherever the platform holds the data.
DEMO_INDICATORS = [
    DemoIndicator(
        "1.1",
        "1.1.a",
        "Professionals trained",
        "persons",
        (20, 20, 20, 15, 15, 10),
        100,
        "participants_trained",
        by_sex=True,
        source="Attendance records",
    ),
    DemoIndicator(
        "1.1",
        "1.1.b",
        "Trainings held",
        "trainings",
        (2, 1, 1, 1, 1, 2),
        8,
        "trainings_held",
        source="Training records",
    ),
    DemoIndicator(
        "1.1",
        "1.1.c",
        "Average gain in test scores",
        "points",
        (15, 15, 15, 15, 15, 15),
        15,
        "score_gain",
        aggregation=Aggregation.AVERAGE,
        source="Pre-tests and post-tests",
    ),
    DemoIndicator(
        "1.2",
        "1.2.a",
        "Police officers and labour inspectors trained",
        "persons",
        (10, 5, 10, 5, 5, 5),
        40,
        "participants_trained",
        (("professional_groups", ("police-officers", "labour-inspectors")),),
        by_sex=True,
        source="Attendance records",
    ),
    DemoIndicator(
        "2.1",
        "2.1.a",
        "Studies validated or published",
        "studies",
        (1, 1, 1, 1, 1, 1),
        6,
        "studies_at_stage",
        (("stage", "validated"),),
        source="Research files",
    ),
    DemoIndicator(
        "",
        "3.a",
        "Recommendations at least in progress",
        "recommendations",
        (1, 2, 4, 6, 8, 10),
        12,
        "recommendations_at_status",
        (("status", ImplementationStatus.IN_PROGRESS.value),),
        aggregation=Aggregation.LATEST,
        source="Approved progress updates",
    ),
    DemoIndicator(
        "3.1",
        "3.1.a",
        "Action points closed on time",
        "%",
        (80, 80, 80, 80, 80, 80),
        80,
        "action_points_closed_on_time",
        aggregation=Aggregation.AVERAGE,
        source="Minutes of the steering committee",
    ),
    DemoIndicator(
        "3.1",
        "3.1.b",
        "Progress updates approved on time",
        "%",
        (75, 75, 75, 75, 75, 75),
        90,
        "updates_approved_on_time",
        aggregation=Aggregation.AVERAGE,
        source="Progress updates",
    ),
    DemoIndicator(
        "3.2",
        "3.2.a",
        "People reached by prevention workshops in schools and communities",
        "persons",
        (50, 50, 50, 50, 50, 50),
        300,
        by_sex=True,
        source="Workshop attendance lists",
        responsible="demo-cso-a",
    ),
]
# The indicators the public site shows: all but the programme team's own process measures.
DEMO_PUBLIC_INDICATORS = {"1.1.a", "1.1.b", "1.1.c", "1.2.a", "2.1.a", "3.a", "3.2.a"}
# The reported indicator's values, period by period: (total, women, men, other), and how far
# each went through review. A period not begun yet when the demo is loaded gets none.
DEMO_REPORTED = [
    ((40, 24, 14, 2), "approved"),
    ((65, 38, 25, 2), "approved"),
    ((55, 30, 24, 1), "approved"),
    ((48, 27, 20, 1), "submitted"),
    ((30, 18, 12, 0), "draft"),
]
# Demo studies moved to "validated" on these days, so the studies indicator has a history.
DEMO_STUDIES = [
    (
        "demo-seasonal-work-recruitment",
        "Recruitment of seasonal farm workers through informal agencies (demo)",
        date(2024, 11, 20),
    ),
    (
        "demo-early-school-leavers",
        "Trafficking risks for children who leave school early (demo)",
        date(2025, 5, 15),
    ),
]


# The demo framework's texts in Macedonian and Albanian (working translations of made-up
# texts), so a reader of either language meets no English in it.
DEMO_TRANSLATIONS: dict[str, tuple[str, str]] = {
    DEMO_OUTCOMES["1"]: (
        "Професионалците имаат капацитет да спречуваат и да се борат против трговијата со деца "
        "и трговијата заради трудова експлоатација",
        "Profesionistët kanë kapacitet të parandalojnë dhe të luftojnë trafikimin e fëmijëve "
        "dhe trafikimin për shfrytëzim të punës",
    ),
    DEMO_OUTCOMES["2"]: (
        "Политиката и практиката против трговијата со луѓе се темелат на истражувања",
        "Politika dhe praktika kundër trafikimit mbështeten në kërkime",
    ),
    DEMO_OUTCOMES["3"]: (
        "Институциите ги спроведуваат препораките и известуваат за напредокот",
        "Institucionet zbatojnë rekomandimet dhe raportojnë për përparimin",
    ),
    DEMO_OUTPUTS["1.1"]: (
        "Обуки за трудови инспектори, полицајци, социјални работници, новинари и граѓански "
        "организации",
        "Trajnime për inspektorët e punës, policët, punonjësit socialë, gazetarët dhe "
        "organizatat e shoqërisë civile",
    ),
    DEMO_OUTPUTS["1.2"]: (
        "Службениците на терен обучени да препознаваат жртви",
        "Zyrtarët në terren të trajnuar për të identifikuar viktimat",
    ),
    DEMO_OUTPUTS["2.1"]: ("Нарачани и валидирани студии", "Studime të porositura dhe të validuara"),
    DEMO_OUTPUTS["3.1"]: (
        "Управниот одбор ги следи своите одлуки и извештаите на институциите",
        "Komiteti drejtues ndjek vendimet e tij dhe raportet e institucioneve",
    ),
    DEMO_OUTPUTS["3.2"]: (
        "Училиштата и заедниците учат да ги препознаваат ризиците од трговија со луѓе",
        "Shkollat dhe komunitetet mësojnë të njohin rreziqet e trafikimit",
    ),
    "Professionals trained": ("Обучени професионалци", "Profesionistë të trajnuar"),
    "Trainings held": ("Одржани обуки", "Trajnime të mbajtura"),
    "Average gain in test scores": (
        "Просечно подобрување на резултатите од тестовите",
        "Rritja mesatare e pikëve të testeve",
    ),
    "Police officers and labour inspectors trained": (
        "Обучени полицајци и трудови инспектори",
        "Policë dhe inspektorë të punës të trajnuar",
    ),
    "Studies validated or published": (
        "Валидирани или објавени студии",
        "Studime të validuara ose të publikuara",
    ),
    "Recommendations at least in progress": (
        "Препораки што најмалку се во тек",
        "Rekomandime të paktën në zbatim",
    ),
    "Action points closed on time": (
        "Акциски точки затворени навреме",
        "Pika veprimi të mbyllura në kohë",
    ),
    "Progress updates approved on time": (
        "Извештаи за напредок одобрени навреме",
        "Raporte progresi të miratuara në kohë",
    ),
    "People reached by prevention workshops in schools and communities": (
        "Лица опфатени со превентивни работилници во училишта и заедници",
        "Persona të arritur nga punëtoritë parandaluese në shkolla dhe komunitete",
    ),
    "persons": ("лица", "persona"),
    "trainings": ("обуки", "trajnime"),
    "points": ("поени", "pikë"),
    "studies": ("студии", "studime"),
    "recommendations": ("препораки", "rekomandime"),
    "%": ("%", "%"),
    # Trainings and studies.
    "Identifying victims of trafficking for labour exploitation": (
        "Идентификување на жртви на трговија со луѓе заради трудова експлоатација",
        "Identifikimi i viktimave të trafikimit për shfrytëzim të punës",
    ),
    "Recognising and referring child victims of trafficking": (
        "Препознавање и упатување на деца жртви на трговија со луѓе",
        "Njohja dhe referimi i fëmijëve viktima të trafikimit",
    ),
    "Reporting on human trafficking: a workshop for journalists and CSOs": (
        "Известување за трговијата со луѓе: работилница за новинари и граѓански организации",
        "Raportimi për trafikimin e qenieve njerëzore: punëtori për gazetarë dhe organizata "
        "të shoqërisë civile",
    ),
    "Online recruitment and ICT-facilitated trafficking": (
        "Регрутирање преку интернет и трговија со луѓе олеснета со ИКТ",
        "Rekrutimi në internet dhe trafikimi i lehtësuar nga TIK",
    ),
    "Free legal aid for trafficking victims: regional follow-up": (
        "Бесплатна правна помош за жртви на трговија со луѓе: регионално следење",
        "Ndihma juridike falas për viktimat e trafikimit: vazhdimi rajonal",
    ),
    "Interactive methods: case studies and role play": (
        "Интерактивни методи: студии на случај и играње улоги",
        "Metoda interaktive: studime rastesh dhe lojë me role",
    ),
    DEMO_STUDIES[0][1]: (
        "Регрутирање сезонски земјоделски работници преку неформални агенции (демо)",
        "Rekrutimi i punëtorëve sezonalë bujqësorë përmes agjencive joformale (demo)",
    ),
    DEMO_STUDIES[1][1]: (
        "Ризици од трговија со луѓе за децата што рано го напуштаат училиштето (демо)",
        "Rreziqet e trafikimit për fëmijët që braktisin herët shkollën (demo)",
    ),
}
# The demo's fourth steering-committee meeting and its decision.
DEMO_MEETING = {
    "purpose": "Review the 2024 plan and agree the 2025 training calendar.",
    "agenda": "1. Results of 2024\n2. Open action points\n3. Training calendar 2025",
    "minutes": "Demo minutes: the committee reviewed the 2024 results and open action points.",
    "decision": "The 2025 training calendar gives priority to online recruitment and to "
    "children leaving school early.",
}
DEMO_TRANSLATIONS |= {
    DEMO_MEETING["purpose"]: (
        "Преглед на планот за 2024 година и договор за календарот на обуки за 2025 година.",
        "Shqyrtimi i planit të vitit 2024 dhe miratimi i kalendarit të trajnimeve për vitin 2025.",
    ),
    DEMO_MEETING["agenda"]: (
        "1. Резултати од 2024 година\n2. Отворени акциски точки\n3. Календар на обуки за 2025",
        "1. Rezultatet e vitit 2024\n2. Pikat e hapura të veprimit\n3. Kalendari i trajnimeve 2025",
    ),
    DEMO_MEETING["minutes"]: (
        "Демо записник: одборот ги прегледа резултатите од 2024 година и отворените акциски точки.",
        "Procesverbal demo: komiteti shqyrtoi rezultatet e vitit 2024 dhe pikat e hapura të "
        "veprimit.",
    ),
    DEMO_MEETING["decision"]: (
        "Календарот на обуки за 2025 година дава приоритет на регрутирањето преку интернет и на "
        "децата што рано го напуштаат училиштето.",
        "Kalendari i trajnimeve për vitin 2025 u jep përparësi rekrutimit në internet dhe "
        "fëmijëve që braktisin herët shkollën.",
    ),
}


def _in_three(field: str, text: str) -> dict[str, str]:
    """A demo text in English with its Macedonian and Albanian translations."""
    mk, sq = DEMO_TRANSLATIONS[text]  # a demo text without its translations is a mistake
    return {f"{field}_en": text, f"{field}_mk": mk, f"{field}_sq": sq}


def _results_framework(action: Action, periods: list[ReportingPeriod]) -> list[Indicator]:
    """The demo results framework with a target for every indicator in every period."""
    outcomes = {
        code: Outcome.objects.create(
            action=action, code=code, **_in_three("title", title), is_demo=True
        )
        for code, title in DEMO_OUTCOMES.items()
    }
    for outcome in outcomes.values():
        _working_translations(outcome, "title")
    outputs = {
        code: Output.objects.create(
            outcome=outcomes[code.split(".")[0]],
            code=code,
            **_in_three("title", title),
            is_demo=True,
        )
        for code, title in DEMO_OUTPUTS.items()
    }
    for output in outputs.values():
        _working_translations(output, "title")
    groups = {g.slug: str(g.pk) for g in ProfessionalGroup.objects.all()}
    indicators = []
    for spec in DEMO_INDICATORS:
        parameters: dict[str, object] = {
            name: [groups[str(v)] for v in value]
            if name == "professional_groups" and isinstance(value, tuple)
            else value
            for name, value in spec.parameters
        }
        calculation = calculation_get(spec.calculation) if spec.calculation else None
        if calculation is not None:
            parameters = calculation.parameters_clean(parameters)
        indicator = Indicator.objects.create(
            outcome=outcomes[spec.code.split(".")[0]],
            output=outputs[spec.output] if spec.output else None,
            code=spec.code,
            **_in_three("title", spec.title),
            **_in_three("unit", spec.unit),
            baseline=Decimal(0),
            baseline_year=2023,
            target_end=Decimal(spec.target_end),
            by_sex=spec.by_sex,
            aggregation=spec.aggregation,
            kind=IndicatorKind.COMPUTED if spec.calculation else IndicatorKind.REPORTED,
            calculation=spec.calculation,
            parameters=parameters,
            responsible=Institution.objects.get(code=spec.responsible)
            if spec.responsible
            else None,
            source=spec.source,
            is_public=spec.code in DEMO_PUBLIC_INDICATORS,
            is_demo=True,
        )
        indicator.full_clean()
        # A unit that reads the same in every language ("%") is no translation of anyone's.
        _working_translations(
            indicator, "title", *(["unit"] if DEMO_TRANSLATIONS[spec.unit][0] != spec.unit else [])
        )
        IndicatorValue.objects.bulk_create(
            IndicatorValue(indicator=indicator, period=period, target=Decimal(t), is_demo=True)
            for period, t in zip(periods, spec.targets, strict=True)
        )
        indicators.append(indicator)
    return indicators


def _reported_values(
    indicators: list[Indicator], periods: list[ReportingPeriod], users: dict[str, User]
) -> None:
    """The reported indicator's values entered by its institution and reviewed by the
    programme team, through the services the portal uses."""
    admin = users["demo-admin"]
    today = timezone.localdate()
    for indicator in indicators:
        if indicator.is_computed or indicator.responsible is None:
            continue
        author = next(
            users[login.username]
            for login in DEMO_LOGINS
            if login.institution_code == indicator.responsible.code
        )
        for period, ((total, women, men, other), final) in zip(
            periods[: len(DEMO_REPORTED)], DEMO_REPORTED, strict=True
        ):
            if period.start_date > today:
                continue
            value = programme_services.indicator_value_save(
                indicator=indicator,
                period=period,
                by=author,
                actual=Decimal(total),
                actual_women=Decimal(women),
                actual_men=Decimal(men),
                actual_other=Decimal(other),
                note="Workshops with pupils, teachers and parents in three municipalities.",
            )
            programme_services.indicator_evidence_add(
                value=value,
                by=author,
                title="Workshop attendance lists (demo link)",
                url=f"https://example.org/demo/indicator-values/{value.pk}",
            )
            if final == "draft":
                continue
            programme_services.indicator_value_submit(value=value, by=author)
            if final == "approved":
                programme_services.indicator_value_approve(value=value, by=admin)


def _studies(action: Action, inst: dict[str, Institution], admin: User) -> None:
    """Demo studies validated on given days: the studies indicator counts them then."""
    for slug, title, validated_on in DEMO_STUDIES:
        study = Study.objects.create(
            action=action,
            slug=slug,
            **_in_three("title", title),
            status=StudyStatus.UNDER_REVIEW,
            authors="Demo research team",
            contractor=inst["demo-cso-b"],
            start_date=date(validated_on.year - 1, 9, 1),
            is_public=True,  # listed on the public site; no file until published
            is_demo=True,
        )
        _working_translations(study, "title")
        study_advance(study=study, to_status=StudyStatus.VALIDATED, by=admin)
        # The move is recorded now; the demo dates it to the day it stands for.
        StudyStatusChange.objects.filter(study=study).update(
            changed_at=timezone.make_aware(datetime.combine(validated_on, time(12, 0)))
        )


def _period_closed(periods: list[ReportingPeriod], users: dict[str, User]) -> None:
    """The oldest period closed by the programme team, so the demo shows a frozen period."""
    programme_services.reporting_period_close(period=periods[0], by=users["demo-admin"])


def _meetings(
    action: Action, inst: dict[str, Institution], recs: dict[int, Recommendation]
) -> None:
    third = Meeting.objects.get(action=action, number=3)
    for description, owner, due, status, closed in [
        (
            "Share the list of social workers and foster families for the foster-care training",
            "mspdy",
            date(2024, 4, 30),
            ActionPointStatus.DONE,
            date(2024, 4, 25),
        ),
        (
            "Nominate police officers for the training on information technologies and "
            "human trafficking",
            "moi",
            date(2024, 5, 31),
            ActionPointStatus.OPEN,
            None,
        ),
        (
            "Propose CSO speakers for the civic forums on recommendation 6",
            "demo-cso-a",
            date(2024, 6, 30),
            ActionPointStatus.IN_PROGRESS,
            None,
        ),
    ]:
        ActionPoint.objects.create(
            meeting=third,
            description=description,
            owner=inst[owner],
            due_date=due,
            status=status,
            closed_on=closed,
            is_demo=True,
        )
    fourth = Meeting.objects.create(
        action=action,
        number=4,
        date=date(2025, 3, 20),
        place="Skopje",
        format=MeetingFormat.HYBRID,
        is_demo=True,
        **_in_three("purpose", DEMO_MEETING["purpose"]),
        **_in_three("agenda", DEMO_MEETING["agenda"]),
        **_in_three("minutes", DEMO_MEETING["minutes"]),
    )
    _working_translations(fourth, "purpose", "agenda", "minutes")
    for code in ("eu-delegation", "mspdy", "moi", "coe", "demo-cso-a"):
        MeetingAttendance.objects.create(meeting=fourth, institution=inst[code])
    decision = Decision.objects.create(
        meeting=fourth,
        number=1,
        is_public=True,
        is_demo=True,
        **_in_three("text", DEMO_MEETING["decision"]),
    )
    _working_translations(decision, "text")
    decision.recommendations.set([recs[7], recs[10]])
    ActionPoint.objects.create(
        meeting=fourth,
        decision=decision,
        owner=inst["coe"],
        due_date=date(2025, 4, 30),
        description="Circulate the 2025 training calendar to all focal points",
        is_demo=True,
    )


def _updates(
    inst: dict[str, Institution],
    users: dict[str, User],
    periods: list[ReportingPeriod],
    recs: dict[int, Recommendation],
) -> None:
    admin = users["demo-admin"]
    h2_2024, h1_2025 = periods[1], periods[2]
    plan = [
        # institution, author, recommendation, period, status, final state, narrative
        (
            "moi",
            None,
            11,
            h2_2024,
            ImplementationStatus.IN_PROGRESS,
            "approved",
            "Financial investigations were opened alongside two trafficking cases.",
        ),
        (
            "mspdy",
            "demo-ministry",
            8,
            h2_2024,
            ImplementationStatus.PLANNED,
            "approved",
            "A programme of long-term support for victims leaving shelters is being drafted.",
        ),
        (
            "demo-cso-a",
            "demo-cso-a",
            6,
            h2_2024,
            ImplementationStatus.IN_PROGRESS,
            "approved",
            "Three civic forums were held with teachers and local authorities.",
        ),
        (
            "mspdy",
            "demo-ministry",
            8,
            h1_2025,
            ImplementationStatus.IN_PROGRESS,
            "submitted",
            "The long-term support programme was adopted; two municipalities started it.",
        ),
        (
            "moi",
            None,
            12,
            h1_2025,
            ImplementationStatus.IN_PROGRESS,
            "submitted",
            "A joint working group with customs and the financial police met twice.",
        ),
        (
            "demo-cso-b",
            "demo-cso-b",
            10,
            h1_2025,
            ImplementationStatus.PLANNED,
            "returned",
            "Schools were contacted.",
        ),
        (
            "demo-cso-a",
            "demo-cso-a",
            7,
            h1_2025,
            ImplementationStatus.IN_PROGRESS,
            "draft",
            "Workshops on false job advertisements online are being prepared with two schools.",
        ),
    ]
    # One update came after its period's due date, so "updates approved on time" shows a share.
    late = ("mspdy", 8, h2_2024)
    for code, author, number, period, status, final, narrative in plan:
        by = users.get(author) if author else None
        update = rec_services.progress_update_create(
            recommendation=recs[number],
            institution=inst[code],
            period=period,
            status=status,
            narrative=narrative,
            by=by,
            is_demo=True,
        )
        Evidence.objects.create(
            update=update,
            title="Activity report (demo link)",
            url=f"https://example.org/demo/updates/{update.pk}",
        )
        # One item the programme team removes after approval: the pages say when and why.
        removed = (
            Evidence.objects.create(
                update=update,
                title="Case file extracts (demo link)",
                url=f"https://example.org/demo/case-files/{update.pk}",
            )
            if (code, number) == ("moi", 11)
            else None
        )
        if final == "draft":
            continue
        rec_services.progress_update_submit(update=update, by=by)
        if (code, number, period) != late:
            _submitted_before_due(update)
        if final == "approved":
            rec_services.progress_update_approve(update=update, by=admin)
            if removed is not None:
                rec_services.evidence_redact(
                    evidence=removed,
                    by=admin,
                    reason="The extracts held details that could identify a victim.",
                )
        elif final == "returned":
            rec_services.progress_update_return(
                update=update,
                by=admin,
                comment="Please say which schools and how many pupils were reached.",
            )


def _submitted_before_due(update: ProgressUpdate) -> None:
    """The demo is loaded long after its periods ended: date the submission as the
    institution would have sent it, a week before the period's due date."""
    day = update.period.due_date - timedelta(days=7)
    at = datetime.combine(day, time(10, 0), tzinfo=timezone.get_current_timezone())
    ProgressUpdate.objects.filter(pk=update.pk).update(submitted_at=at)
    update.transitions.filter(to_state=UpdateState.SUBMITTED).update(at=at)
    update.refresh_from_db()


# The programme team's narrative for the demo's latest period: English with working
# translations; outcome 3 is left unwritten, so a draft report shows the mark.
DEMO_NARRATIVE = {
    "executive_summary": (
        "The period consolidated the training of front-line professionals and brought the "
        "first research findings to the steering committee.",
        "Периодот ја зацврсти обуката на професионалците од првата линија и ги донесе "
        "првите наоди од истражувањата пред Управниот одбор.",
        "Periudha konsolidoi trajnimin e profesionistëve të vijës së parë dhe solli gjetjet "
        "e para të kërkimeve para komitetit drejtues.",
    ),
    "next_steps": (
        "Agree the training plan for the next year and publish the labour exploitation study.",
        "Да се усогласи планот за обуки за следната година и да се објави студијата за "
        "трудова експлоатација.",
        "Të miratohet plani i trajnimeve për vitin e ardhshëm dhe të publikohet studimi për "
        "shfrytëzimin e punës.",
    ),
}
DEMO_OUTCOME_NARRATIVES = {
    "1": (
        "Trainings reached labour inspectors and social workers in every planning region.",
        "Обуките ги опфатија трудовите инспектори и социјалните работници во секој плански регион.",
        "Trajnimet arritën inspektorët e punës dhe punonjësit socialë në çdo rajon planor.",
    ),
    "2": (
        "Two studies moved to validation; their findings shaped the committee's agenda.",
        "Две студии преминаа во валидација; нивните наоди ја обликуваа агендата на одборот.",
        "Dy studime kaluan në validim; gjetjet e tyre formësuan agjendën e komitetit.",
    ),
}
DEMO_RISKS = [
    (
        "Staff turnover in the social work centres",
        "Центрите за социјална работа ги менуваат вработените",
        "Qarkullimi i stafit në qendrat e punës sociale",
        "Train a second contact person in each centre",
        "Да се обучи второ лице за контакт во секој центар",
        "Të trajnohet një person i dytë kontakti në çdo qendër",
        "high",
        "medium",
    ),
]


def _period_narrative(action: Action, period: ReportingPeriod) -> None:
    narrative = PeriodNarrative.objects.create(
        period=period,
        is_demo=True,
        **{
            f"{field}_{lang}": text
            for field, texts in DEMO_NARRATIVE.items()
            for lang, text in zip(("en", "mk", "sq"), texts, strict=True)
        },
    )
    _working_translations(narrative, *DEMO_NARRATIVE)
    for code, (en, mk, sq) in DEMO_OUTCOME_NARRATIVES.items():
        outcome = Outcome.objects.get(action=action, code=code)
        written = OutcomeNarrative.objects.create(
            period=period, outcome=outcome, text_en=en, text_mk=mk, text_sq=sq, is_demo=True
        )
        _working_translations(written, "text")
    for order, (en, mk, sq, m_en, m_mk, m_sq, likelihood, impact) in enumerate(DEMO_RISKS, 1):
        risk = PeriodRisk.objects.create(
            period=period,
            description_en=en,
            description_mk=mk,
            description_sq=sq,
            mitigation_en=m_en,
            mitigation_mk=m_mk,
            mitigation_sq=m_sq,
            likelihood=likelihood,
            impact=impact,
            order=order,
            is_demo=True,
        )
        _working_translations(risk, "description", "mitigation")


@transaction.atomic
def demo_remove() -> int:
    """Delete every demo record and its history; real records are untouched. Returns how many
    records were deleted."""
    with history_forgotten():
        deleted = _demo_delete()
    object_permissions.groups_prune()
    object_permissions_rebuild()
    glance_invalidate()
    return deleted


def _demo_delete() -> int:
    deleted = 0
    for queryset in (
        # A reported value's evidence and review steps go with it; named here so that
        # nothing of the demo's values is left behind by accident.
        IndicatorEvidence.objects.filter(value__is_demo=True),
        IndicatorValueTransition.objects.filter(value__is_demo=True),
        ProgressUpdate.objects.filter(is_demo=True),
        Assignment.objects.filter(is_demo=True),
        ActionPoint.objects.filter(is_demo=True),
        Decision.objects.filter(is_demo=True),
        Meeting.objects.filter(is_demo=True),
        IndicatorValue.objects.filter(is_demo=True),
        Indicator.objects.filter(is_demo=True),
        Output.objects.filter(is_demo=True),
        Outcome.objects.filter(is_demo=True),
        Training.objects.filter(is_demo=True),
        Study.objects.filter(is_demo=True),
        Participant.objects.filter(is_demo=True),
        ReportingPeriod.objects.filter(is_demo=True),
        User.objects.filter(is_demo=True),
        MeetingAttendance.objects.filter(institution__is_demo=True),
        Institution.objects.filter(is_demo=True),
    ):
        count, _per_model = queryset.delete()
        deleted += count
    return deleted
