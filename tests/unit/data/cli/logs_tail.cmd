logs
-t
--tail
1
web
