"""Date and number formats where Django's defaults do not fit North Macedonia.

English follows the European day-month order (not the US one), with a 24-hour clock;
Albanian uses the day.month.year dates and 24-hour clock used in North Macedonia.
Macedonian keeps Django's own formats, which already do, but for its long dates. In Macedonian
and Albanian the month inside a date is written in lower case (config/formats/months.py).
"""
