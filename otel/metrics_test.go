package ampotel_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	ampotel "github.com/ampersand-sdk/ampersand-go/otel"
	"github.com/ampersand-sdk/ampersand-go/pkg/amptest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// asMap returns the attributes of a data point as a map.
func asMap(s attribute.Set) map[string]any {
	m := map[string]any{}
	for _, kv := range s.ToSlice() {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

func TestMetricsOfARetriedCall(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.InjectFault(amptest.OpGetConnection, amptest.Fault{Status: http.StatusServiceUnavailable})
	if err := h.get(context.Background(), h.conn.ID); err != nil {
		t.Fatal(err)
	}
	rm := collect(t, h.reader)

	req := metricNamed(t, rm, ampotel.MetricRequestDuration)
	if req.Unit != "s" {
		t.Errorf("%s unit %q", req.Name, req.Unit)
	}
	points := req.Data.(metricdata.Histogram[float64]).DataPoints
	if len(points) != 2 {
		t.Fatalf("%s has %d data points, want 2 (503 and 200)", req.Name, len(points))
	}
	byStatus := map[int64]metricdata.HistogramDataPoint[float64]{}
	for _, p := range points {
		a := asMap(p.Attributes)
		byStatus[a["http.response.status_code"].(int64)] = p
		for _, k := range []string{"http.request.method", "server.address", "server.port", "ampersand.operation"} {
			if _, ok := a[k]; !ok {
				t.Errorf("%s point %v lacks %s", req.Name, a, k)
			}
		}
		if !slices.Equal(p.Bounds, []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}) {
			t.Errorf("%s bounds %v", req.Name, p.Bounds)
		}
	}
	if p, ok := byStatus[503]; !ok || p.Count != 1 || asMap(p.Attributes)["error.type"] != "503" {
		t.Errorf("503 point %+v", p)
	}
	if p, ok := byStatus[200]; !ok || p.Count != 1 || asMap(p.Attributes)["error.type"] != nil {
		t.Errorf("200 point %+v", p)
	}

	call := metricNamed(t, rm, ampotel.MetricCallDuration)
	cp := call.Data.(metricdata.Histogram[float64]).DataPoints
	if len(cp) != 1 || cp[0].Count != 1 {
		t.Fatalf("%s points %+v, want one of count 1", call.Name, cp)
	}
	if a := asMap(cp[0].Attributes); len(a) != 2 || a["ampersand.operation"] != "getConnection" || a["ampersand.status_class"] != "2xx" {
		t.Errorf("%s attributes %v", call.Name, a)
	}

	att := metricNamed(t, rm, ampotel.MetricCallAttempts)
	ap := att.Data.(metricdata.Histogram[int64]).DataPoints
	if len(ap) != 1 || ap[0].Count != 1 || ap[0].Sum != 2 {
		t.Fatalf("%s points %+v, want one of count 1 and sum 2", att.Name, ap)
	}
	if a := asMap(ap[0].Attributes); len(a) != 1 || a["ampersand.operation"] != "getConnection" {
		t.Errorf("%s attributes %v", att.Name, a)
	}
}

func TestMetricsOfAFailedCall(t *testing.T) {
	h := newHarness(t, nil)
	_ = h.get(context.Background(), "no-such-connection")
	cp := metricNamed(t, collect(t, h.reader), ampotel.MetricCallDuration).Data.(metricdata.Histogram[float64]).DataPoints
	if len(cp) != 1 {
		t.Fatalf("%d points", len(cp))
	}
	if a := asMap(cp[0].Attributes); a["ampersand.status_class"] != "4xx" || a["error.type"] != "404" {
		t.Errorf("call duration attributes %v", a)
	}
}
