info
--format
{{.ServerVersion}} {{.Driver}} {{.OSType}} {{json .Plugins.Volume}}
