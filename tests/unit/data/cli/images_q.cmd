images
-q
