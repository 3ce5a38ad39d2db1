package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nginx is a throw-away nginx serving one static file on loopback.
type nginx struct {
	cmd *exec.Cmd
	dir string
	url string
}

// nginxConf is a minimal configuration: loopback only, in the foreground,
// every path inside dir, no access log, sendfile, one worker per core.
const nginxConf = `%sworker_processes auto;
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path %[2]s/tmp/body;
    proxy_temp_path %[2]s/tmp/proxy;
    fastcgi_temp_path %[2]s/tmp/fastcgi;
    uwsgi_temp_path %[2]s/tmp/uwsgi;
    scgi_temp_path %[2]s/tmp/scgi;
    types { application/atom+xml atom; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:%[3]d;
        root %[2]s/www;
    }
}
`

// startNginx serves body at servePath from a temp dir, as the current user.
func startNginx(ctx context.Context, bin string, body []byte) (*nginx, error) {
	dir, err := os.MkdirTemp("", "feedloom-bench-nginx-")
	if err != nil {
		return nil, err
	}
	n := &nginx{dir: dir}
	fail := func(err error) (*nginx, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	for _, d := range []string{"tmp", "www/feeds"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fail(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "www", servePath), body, 0o644); err != nil {
		return fail(err)
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	// As root, nginx would hand its workers to "nobody"; keep them as the
	// user running the bench, who owns the temp dir.
	userLine := ""
	if os.Geteuid() == 0 {
		if u, err := user.Current(); err == nil {
			userLine = "user " + u.Username + ";\n"
		}
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, userLine, dir, port), 0o644); err != nil {
		return fail(err)
	}
	n.cmd = exec.CommandContext(ctx, bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	n.cmd.Stderr = &tailBuffer{max: 4 << 10}
	if err := n.cmd.Start(); err != nil {
		return fail(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	n.url = "http://" + addr + servePath
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return n, nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			n.stop()
			return nil, fmt.Errorf("nginx did not listen on %s: %s %s", addr, n.cmd.Stderr, log)
		}
		time.Sleep(50 * time.Millisecond) // polling a port with a deadline, not synchronising tests
	}
}

// stop ends nginx (SIGQUIT: graceful) and removes its dir.
func (n *nginx) stop() {
	if n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(syscall.SIGQUIT)
		done := make(chan struct{})
		go func() { _ = n.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = n.cmd.Process.Kill()
			<-done
		}
	}
	os.RemoveAll(n.dir)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// runWrk measures one target with wrk: a plain GET for 200, a GET with the
// target's own ETag in If-None-Match for 304.
func runWrk(ctx context.Context, bin string, t serveTarget, status, conns, threads int, d time.Duration) (ServeRow, error) {
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(max(1, int(d.Seconds()))) + "s", "--latency"}
	if status == 304 {
		args = append(args, "-H", "If-None-Match: "+t.etag)
	}
	args = append(args, t.url)
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return ServeRow{}, fmt.Errorf("wrk %s: %w: %s", strings.Join(args, " "), err, out)
	}
	row, err := parseWrk(string(out))
	if err != nil {
		return ServeRow{}, fmt.Errorf("wrk %s: %w\n%s", t.name, err, out)
	}
	row.Server, row.Status, row.Conns = t.name, status, conns
	return row, nil
}

// parseWrk reads wrk's --latency report: Requests/sec, the 50% and 99%
// latencies, the request count, non-2xx/3xx responses and socket errors.
func parseWrk(out string) (ServeRow, error) {
	var r ServeRow
	var haveRate, have50, have99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "Requests/sec:") && len(f) == 2:
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("requests/sec %q: %w", f[1], err)
			}
			r.ReqPerSec, haveRate = v, true
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := wrkDuration(f[1])
			if err != nil {
				return r, err
			}
			if f[0] == "50%" {
				r.P50Ms, have50 = d, true
			} else {
				r.P99Ms, have99 = d, true
			}
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("request count %q: %w", f[0], err)
			}
			r.Requests = n
			if len(f) == 6 && f[5] == "read" { // "N requests in 10.00s, 1.20GB read"
				r.ReadBytes, _ = wrkBytes(f[4])
			}
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:") && len(f) == 5:
			r.Bad, _ = strconv.ParseInt(f[4], 10, 64)
		case strings.HasPrefix(line, "Socket errors:"):
			r.SocketErrs = strings.TrimSpace(strings.TrimPrefix(line, "Socket errors:"))
		}
	}
	if !haveRate || !have50 || !have99 {
		return r, fmt.Errorf("no Requests/sec or latency distribution in wrk's output")
	}
	return r, nil
}

// wrkDuration converts wrk's "1.23ms", "456.00us", "1.10s", "2.00m" to
// milliseconds.
func wrkDuration(s string) (float64, error) {
	units := []struct {
		suffix string
		ms     float64
	}{{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("latency %q: %w", s, err)
			}
			return v * u.ms, nil
		}
	}
	return 0, fmt.Errorf("latency %q: unknown unit", s)
}

// wrkBytes converts wrk's "1.20GB", "512.00KB", "100B" to bytes.
func wrkBytes(s string) (float64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("size %q: %w", s, err)
			}
			return v * u.mult, nil
		}
	}
	return 0, fmt.Errorf("size %q: unknown unit", s)
}
