images
--format
{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}
busybox
