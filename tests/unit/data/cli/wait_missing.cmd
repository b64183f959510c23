wait
nosuch
