package rollout

import (
	"sync"

	"github.com/google/go-github/v62/github"
)

// readMemo keeps what one comment's commands read from GitHub, so that its
// commands share one read of the flags file and of the PR's check run
// instead of each spending the installation's API allowance again. A file the
// comment's own commits change is kept as written; a commit made elsewhere in
// the meantime is caught by the blob sha (GitHub answers 409), and the retry
// reads the file afresh.
type readMemo struct {
	mu    sync.Mutex
	files map[string]memoFile
	runs  map[string]memoRun
}

type memoFile struct {
	content []byte
	sha     string
}

type memoRun struct {
	run  *github.CheckRun
	head string
}

func fileKey(ref, path string) string { return ref + "\x00" + path }

// file returns a remembered file; a nil memo remembers nothing.
func (m *readMemo) file(ref, path string) (memoFile, bool) {
	if m == nil {
		return memoFile{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[fileKey(ref, path)]
	return f, ok
}

// keep remembers a file's content and blob sha, as read or as committed.
func (m *readMemo) keep(ref, path string, content []byte, sha string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string]memoFile{}
	}
	m.files[fileKey(ref, path)] = memoFile{content: content, sha: sha}
}

// forget drops a file whose remembered sha GitHub called stale.
func (m *readMemo) forget(ref, path string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, fileKey(ref, path))
}

func (m *readMemo) checkRun(name string) (memoRun, bool) {
	if m == nil {
		return memoRun{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[name]
	return r, ok
}

func (m *readMemo) keepCheckRun(name string, r memoRun) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs == nil {
		m.runs = map[string]memoRun{}
	}
	m.runs[name] = r
}
