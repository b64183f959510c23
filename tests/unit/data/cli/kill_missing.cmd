kill
-s
KILL
nosuch
