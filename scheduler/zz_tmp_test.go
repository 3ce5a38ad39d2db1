package scheduler_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/feedloom/feedloom/feeds"
)

func TestTmpGiant(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join(sharedDir(t), "corpus/rss/rssparser-giantbomb-podcast.rss"))
	o := newOrigin(t)
	o.handle("/g", func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	e := newEnv(t, []feeds.Source{src("g", o.URL+"/g")})
	r := e.once(false)["g"]
	t.Log(r.Duration, r.New, r.Err)
}
