// Package lib is the new version of the fixture package, with three incompatible changes (ColorBlue and
// Remove removed, Thing.Size's type changed) and three compatible ones (ColorGreen, Thing.Note and Added
// added).
package lib

// Color is an enum.
type Color string

// The colors.
const (
	ColorRed   Color = "red"
	ColorGreen Color = "green"
)

// Thing is a model.
type Thing struct {
	ID   string
	Size int64
	Note string
}

// Paint stays.
func Paint(t Thing) Color { return ColorRed }

// Added is new.
func Added() {}
