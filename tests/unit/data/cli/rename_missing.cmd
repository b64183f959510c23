rename
nosuch
x
