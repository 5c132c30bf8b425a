# The admin's formats (public pages give their own). Times are India time
# (TIME_ZONE); "T" prints IST, so nobody wonders which clock a note means.
DATETIME_FORMAT = "D j M Y, H:i T"
SHORT_DATETIME_FORMAT = "D j M Y, H:i T"
DATE_FORMAT = "D j M Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
