// Package lib is the old version of the fixture package for the compatibility tests; ../../new/lib is the
// new one.
package lib

// Color is an enum.
type Color string

// The colors.
const (
	ColorRed  Color = "red"
	ColorBlue Color = "blue"
)

// Thing is a model.
type Thing struct {
	ID   string
	Size int
}

// Remove is removed in the new version.
func Remove() {}

// Paint stays.
func Paint(t Thing) Color { return ColorRed }
