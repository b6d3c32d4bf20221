"""The month names written inside a date ("9 март 2026", "9 mars 2026").

Django's "E" date format takes the month from these "alt. month" messages, which its own
Macedonian and Albanian catalogues capitalise as if the month began a sentence. Marking them
here puts them in the project's catalogues, which Django reads first, where they are written in
lower case; the mk and sq DATE_FORMAT use "E". A month on its own ("F", as in "март 2026" in a
heading) keeps Django's capital.
"""

from django.utils.translation import pgettext_lazy

MONTHS_IN_A_DATE = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]
