exec
web
sh
-c
echo in-exec; exit 7
