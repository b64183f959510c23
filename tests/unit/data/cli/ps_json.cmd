ps
-a
--format
{{.Names}} {{.State}} {{json .Labels}}
