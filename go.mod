module backprop

go 1.22
