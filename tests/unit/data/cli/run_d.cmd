run
-d
--name
rd
busybox
true
