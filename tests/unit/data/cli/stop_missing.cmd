stop
nosuch
