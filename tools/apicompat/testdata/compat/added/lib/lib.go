// Package lib is a new version of the fixture package with compatible changes only: a field, a function
// and a constant added.
package lib

// Color is an enum.
type Color string

// The colors.
const (
	ColorRed   Color = "red"
	ColorBlue  Color = "blue"
	ColorGreen Color = "green"
)

// Thing is a model.
type Thing struct {
	ID   string
	Size int
	Note string
}

// Remove is removed in the new version.
func Remove() {}

// Paint stays.
func Paint(t Thing) Color { return ColorRed }

// Added is new.
func Added() {}
