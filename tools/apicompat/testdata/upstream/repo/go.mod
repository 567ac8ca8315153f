module example.com/upfixture

go 1.26.0
