rm
web
