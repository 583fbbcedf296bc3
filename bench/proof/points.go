package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/distroscope/distroscope/bench/proof/harness"
	"github.com/distroscope/distroscope/datasets"
)

// ingestDepths are how much of each suite's index is sent before the kill.
var ingestDepths = []float64{0.2, 0.5, 0.85}

// killPoints spread over the nightly, in the order it reaches them (one
// child at a time: each suite's snapshot, then its comparison with the
// one before, then the next suite): for 3 suites, 13 points.
func (p *prover) killPoints(st s3Server) []harness.Point {
	var pts []harness.Point
	for i, s := range p.suites {
		dists := "/dists/" + s + "/"
		if i == 0 {
			pts = append(pts, harness.MirrorPoint(p.mirror, "mid-resolve "+s+": InRelease", dists+"InRelease", 0.5))
		}
		depth := ingestDepths[i%len(ingestDepths)]
		pts = append(pts, harness.MirrorPoint(p.mirror, fmt.Sprintf("mid-ingest %s: index at %.0f%%", s, 100*depth), dists+"main/binary-amd64/", depth))
		part := "distro=debian/release=" + s + "/"
		switch i % 3 {
		case 0:
			pts = append(pts, harness.S3Point(st.proxy, "mid-commit "+s+": packages data PUT", harness.PUT, datasets.Packages.Prefix()+part, "part-00000.parquet"))
		case 1:
			pts = append(pts, harness.S3Point(st.proxy, "mid-commit "+s+": snapshots data PUT", harness.PUT, datasets.Snapshots.Prefix()+part, "part-00000.parquet"))
		case 2:
			pts = append(pts, harness.S3Point(st.proxy, "mid-commit "+s+": packages manifest PUT", harness.PUT, datasets.Packages.Prefix()+part, "_manifest.json"))
		}
		if i == 0 {
			pts = append(pts, harness.Between("between stages: "+s+" committed", 1))
			continue
		}
		cmp := p.suites[i-1] + "→" + s
		pts = append(pts, harness.S3Point(st.proxy, "mid-compare "+cmp+": reading "+s, harness.GET, datasets.Packages.Prefix()+part, "part-00000.parquet"))
		if i%2 == 1 {
			pts = append(pts, harness.S3Point(st.proxy, "mid-compare "+cmp+": package_changes PUT", harness.PUT, datasets.PackageChanges.Prefix(), ".parquet"))
		} else {
			pts = append(pts, harness.S3Point(st.proxy, "mid-compare "+cmp+": compare_summaries PUT", harness.PUT, datasets.CompareSummaries.Prefix(), ".parquet"))
		}
	}
	return append(pts, harness.S3Point(st.proxy, "recording the nightly", harness.PUT, "nightly_runs/"))
}

// serverRestarts stop the Temporal dev server in the middle of the run —
// with SIGTERM while an index is half sent, with SIGKILL while a
// comparison reads a snapshot — and start it again on the same database
// file, then let the held request go on.
func (p *prover) serverRestarts(st s3Server) []harness.Point {
	restart := func(sig syscall.Signal, h **harness.Hold) func(context.Context, *harness.Session) (time.Time, error) {
		return func(context.Context, *harness.Session) (time.Time, error) {
			stopped := time.Now()
			if err := p.tsrv.stop(sig); err != nil {
				return time.Time{}, err
			}
			if err := p.tsrv.start(); err != nil {
				return time.Time{}, err
			}
			restarted := time.Now()
			fmt.Printf("  Temporal stopped (%v) and up again on the same database in %.1fs\n", sig, restarted.Sub(stopped).Seconds())
			(*h).Release()
			return restarted, nil
		}
	}
	b, c := p.suites[1], p.suites[len(p.suites)-1]
	var ingest, read *harness.Hold
	return []harness.Point{
		{Name: "Temporal SIGTERM mid-ingest " + b, Disrupt: restart(syscall.SIGTERM, &ingest), Arm: func() harness.Reached {
			ingest = p.mirror.HoldFile("ingest "+b, "/dists/"+b+"/main/binary-amd64/", 0.5)
			return harness.AtHold(ingest)
		}},
		{Name: "Temporal SIGKILL mid-compare, reading " + c, Disrupt: restart(syscall.SIGKILL, &read), Arm: func() harness.Reached {
			read = st.proxy.HoldRequest("read "+c, harness.GET, datasets.Packages.Prefix()+"distro=debian/release="+c+"/", "part-00000.parquet")
			return harness.AtHold(read)
		}},
	}
}

func netListen(port int) (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
}
