package hydradb

import (
	"slices"
	"testing"
)

func TestFlightsClaimEachBuildOnce(t *testing.T) {
	var fs flights
	mine, a, others := fs.claim([]int64{1, 2, 3})
	if !slices.Equal(mine, []int64{1, 2, 3}) || len(others) != 0 {
		t.Fatalf("first claim: mine %v, others %d", mine, len(others))
	}
	mine, b, others := fs.claim([]int64{3, 4, 2})
	if !slices.Equal(mine, []int64{4}) || len(others) != 1 || others[0] != a {
		t.Fatalf("second claim: mine %v, %d other flights", mine, len(others))
	}
	fs.land([]int64{1, 2, 3}, a)
	select {
	case <-a.done:
	default:
		t.Fatal("a landed flight is not done")
	}
	select {
	case <-b.done:
		t.Fatal("a flight under way is done")
	default:
	}
	if mine, _, others := fs.claim([]int64{2, 4}); !slices.Equal(mine, []int64{2}) || len(others) != 1 || others[0] != b {
		t.Fatalf("after landing: mine %v, %d other flights", mine, len(others))
	}
}

func TestWithout(t *testing.T) {
	for _, c := range []struct{ ids, drop, want []int64 }{
		{[]int64{1, 2, 3, 4}, []int64{2, 4}, []int64{1, 3}},
		{[]int64{1, 2}, nil, []int64{1, 2}},
		{[]int64{5, 6}, []int64{5, 6}, []int64{}},
	} {
		if got := without(c.ids, c.drop); !slices.Equal(got, c.want) {
			t.Errorf("without(%v, %v) = %v, want %v", c.ids, c.drop, got, c.want)
		}
	}
}
