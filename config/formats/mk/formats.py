# Only the long dates differ from Django's Macedonian formats, which this module falls back to:
# the day without a leading zero, the month in lower case ("9 март 2026"; see months.py).
DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, H:i"
MONTH_DAY_FORMAT = "j E"
