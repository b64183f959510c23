ps
-a
--no-trunc
--format
table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Labels}}\t{{.Label "app"}}
