from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.basemodels import DemoMarked, TimeStamped
from stakeholders.choices import (
    AccountEventKind,
    InstitutionKind,
    MembershipRequestState,
    MembershipRole,
)


class User(AbstractUser):
    """A person who signs in to the platform: programme team, ministry or CSO staff, observer."""

    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        blank=True,
        help_text=_("Used for emails and reports."),
    )
    is_demo = models.BooleanField(
        _("demo account"), default=False, help_text=_("Made up for demonstration.")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            # Granted through the "Programme team" group (stakeholders.roles), never implied by
            # is_staff; it counts only in a session that passed the second factor.
            ("programme_team", _("Acts as the programme team in the portal")),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Institution(DemoMarked):
    """A body that takes part in the action: EU body, ministry, agency, CSO, organisation."""

    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    code = models.SlugField(
        _("code"),
        max_length=60,
        unique=True,
        null=True,
        blank=True,
        help_text=_("A stable identifier used by the seed data and spreadsheets."),
    )
    aliases = models.TextField(
        _("other names"),
        blank=True,
        help_text=_("Other names or spellings this institution is known by, one per line."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InstitutionKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    country = models.CharField(_("country"), max_length=80, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="institution_unique_name",
                violation_error_message=_("An institution with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.short_name})" if self.short_name else self.name

    @property
    def label(self) -> str:
        """The short name where there is one, for tables and charts."""
        return self.short_name or self.name

    @property
    def is_cso(self) -> bool:
        return self.kind == InstitutionKind.CSO

    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class Membership(TimeStamped):
    """A user's place in an institution, with the role that decides what they may do there."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=MembershipRole.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["institution__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "institution"],
                name="membership_unique_user_institution",
                violation_error_message=_("This user is already a member of this institution."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.institution.label} ({self.get_role_display()})"

    @property
    def can_edit(self) -> bool:
        return self.role in (MembershipRole.FOCAL_POINT, MembershipRole.EDITOR)


class MembershipRequest(models.Model):
    """An institution's request that someone who already has an account join it; nothing
    changes until they accept it."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="membership_requests",
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="membership_requests",
    )
    role = models.CharField(_("role"), max_length=20, choices=MembershipRole.choices)
    requested_by = models.ForeignKey(
        User,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=MembershipRequestState.choices,
        default=MembershipRequestState.PENDING,
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership request")
        verbose_name_plural = _("membership requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "user"],
                condition=models.Q(state=MembershipRequestState.PENDING),
                name="membership_request_one_pending",
                violation_error_message=_("A request to this person is already waiting."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.institution.label} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        return self.state == MembershipRequestState.PENDING


class ContactPerson(TimeStamped):
    """Someone to contact at an institution, whether or not they use the platform."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["institution__name", "-is_primary", "full_name"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.institution.label})"


class ProfessionalGroup(TimeStamped):
    """A profession the action trains, such as labour inspectors or social workers."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("code"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("professional group")
        verbose_name_plural = _("professional groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserSession(models.Model):
    """A session someone signed in with, kept so that their sessions can be ended at once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="session_records"
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("signed in at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class AccountEvent(models.Model):
    """Something done to an account that its history cannot show, such as an authenticator app
    set up or removed, with who did it and when. Written by the services, never edited."""

    user = models.ForeignKey(
        User,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="account_events",
    )
    # Kept so that the event still says whose account it was once the account is deleted.
    username = models.CharField(_("username"), max_length=150)
    kind = models.CharField(_("event"), max_length=30, choices=AccountEventKind.choices)
    by = models.ForeignKey(
        User,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when done from the command line."),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.username}: {self.get_kind_display()} ({self.at:%Y-%m-%d %H:%M})"
