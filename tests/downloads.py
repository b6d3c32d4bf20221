"""URL names that answer with a file, a feed or a redirect to one rather than a page: the
accessibility walk (tests/browser/test_accessibility.py) and the page benchmark
(scripts/bench_pages.py) leave them out. No imports, so the benchmark reads it before Django
starts."""

DOWNLOADS = frozenset(
    {
        "recommendations:evidence_download",
        "research:version_download",
        "imports:import_template",
        "imports:import_file",
        "imports:import_status",
        "imports:export",
        "imports:attendance_export",
        "reports:report_download",
        "programme:value_evidence_download",
        "programme:meeting_minutes_download",
        "programme:results_iptt_xlsx",
        "programme:results_iptt_csv",
        "public:study_file",
        "public:sitemap",
        "public:robots",
        "public:iati_activities",
        "calendars:feed",
        "calendars:public",
        "calendars:meeting_ics",
        "calendars:training_ics",
        "core:translations_export",
    }
)
