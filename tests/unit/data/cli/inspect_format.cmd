container
inspect
-f
{{.Name}} {{.State.Status}} {{json .Config.Labels}}
web
idle
