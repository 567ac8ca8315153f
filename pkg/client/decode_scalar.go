package client

import (
	"strconv"
	"unsafe"
)

// The decoders of JSON booleans and numbers, for properties of type boolean, integer and number. The
// connection models have none today; decodergen uses these when the spec gains one, so that a spec change
// regenerates instead of failing. Each follows encoding/json: null leaves the value unchanged, an integer
// has neither fraction nor exponent and fits its type, a number fits its float type.

// boolean decodes a JSON boolean into *p.
func (d *decoder) boolean(p *bool) (bool, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return false, err
	}
	switch v.Kind() {
	case 't', 'f':
		*p = v.Kind() == 't'
		return true, nil
	case 'n':
		return false, nil
	}
	return false, d.fail("expected a boolean, found "+kindName(v.Kind()), nil)
}

// integer decodes a JSON number that is an integer within T's range into *p.
func integer[T ~int | ~int8 | ~int16 | ~int32 | ~int64](d *decoder, p *T) (bool, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return false, err
	}
	switch v.Kind() {
	case '0':
		n, err := strconv.ParseInt(string(v), 10, int(unsafe.Sizeof(*p))*8)
		if err != nil {
			return false, d.fail("expected an integer of "+strconv.Itoa(int(unsafe.Sizeof(*p))*8)+" bits", err)
		}
		*p = T(n)
		return true, nil
	case 'n':
		return false, nil
	}
	return false, d.fail("expected a number, found "+kindName(v.Kind()), nil)
}

// number decodes a JSON number within T's range into *p.
func number[T ~float32 | ~float64](d *decoder, p *T) (bool, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return false, err
	}
	switch v.Kind() {
	case '0':
		f, err := strconv.ParseFloat(string(v), int(unsafe.Sizeof(*p))*8)
		if err != nil {
			return false, d.fail("expected a number of "+strconv.Itoa(int(unsafe.Sizeof(*p))*8)+"-bit float range", err)
		}
		*p = T(f)
		return true, nil
	case 'n':
		return false, nil
	}
	return false, d.fail("expected a number, found "+kindName(v.Kind()), nil)
}
