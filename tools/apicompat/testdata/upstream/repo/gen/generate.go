package gen

//go:generate go run ../internal/mkgen -spec ../api/openapi.json -o models.gen.go
