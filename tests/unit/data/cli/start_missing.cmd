start
a
b
