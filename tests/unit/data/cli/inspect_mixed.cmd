inspect
web
nosuch
