// A nested module, as otel/ will be: its own go.mod, requiring the root module through a replace.
module example.com/nested/sub

go 1.26.0

require example.com/nested v0.0.0

replace example.com/nested => ../
