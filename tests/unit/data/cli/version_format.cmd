version
--format
{{.Server.Version}} {{.Server.APIVersion}} {{(index .Server.Components 0).Name}}
