// Command oracle answers next-fire-time questions with the real robfig/cron v3,
// so that the Swift port can be compared against it line by line.
//
// Input lines:  <IANA zone>\t<unix seconds[.nanos]>\t<expression>
// Output lines: "ERR <message>" or "OK" followed by up to 5 unix seconds;
// "NONE" ends the list when robfig returns the zero time.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron"
)

// The parser Kubernetes-style callers get: optional seconds plus descriptors.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func parseInstant(s string) (time.Time, error) {
	secPart, nanoPart, hasNanos := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secPart, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	var nsec int64
	if hasNanos {
		for len(nanoPart) < 9 {
			nanoPart += "0"
		}
		if nsec, err = strconv.ParseInt(nanoPart[:9], 10, 64); err != nil {
			return time.Time{}, err
		}
	}
	return time.Unix(sec, nsec), nil
}

func main() {
	count := 5
	if n, err := strconv.Atoi(os.Getenv("ORACLE_COUNT")); err == nil && n > 0 {
		count = n
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		parts := strings.SplitN(in.Text(), "\t", 3)
		if len(parts) != 3 {
			fmt.Fprintln(out, "ERR malformed input line")
			continue
		}
		loc, err := time.LoadLocation(parts[0])
		if err != nil {
			fmt.Fprintln(out, "ERR bad location:", err)
			continue
		}
		start, err := parseInstant(parts[1])
		if err != nil {
			fmt.Fprintln(out, "ERR bad instant:", err)
			continue
		}
		fmt.Fprintln(out, answer(parts[2], start.In(loc), count))
	}
}

// answer recovers from panics because robfig panics on some malformed
// TZ= prefixes; the oracle must keep going and report that as a rejection.
func answer(expr string, t time.Time, count int) (line string) {
	defer func() {
		if r := recover(); r != nil {
			line = fmt.Sprintf("ERR panic: %v", r)
		}
	}()
	sched, err := parser.Parse(expr)
	if err != nil {
		return "ERR " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	var b strings.Builder
	b.WriteString("OK")
	for i := 0; i < count; i++ {
		t = sched.Next(t)
		if t.IsZero() {
			b.WriteString(" NONE")
			break
		}
		fmt.Fprintf(&b, " %d", t.Unix())
	}
	return b.String()
}
