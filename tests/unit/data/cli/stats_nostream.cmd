stats
--no-stream
--format
{{.Name}} {{.PIDs}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}}
web
