top
web
-o
pid,comm
