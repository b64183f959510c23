logs
web
