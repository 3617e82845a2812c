package online

import (
	"strings"
	"testing"
)

func TestParseTokens(t *testing.T) {
	t.Parallel()
	tok, err := ParseTokens(" acme/support=token-for-support-0001, acme/support=token-for-support-0002,acme/billing=token-for-billing-0002 ,")
	if err != nil {
		t.Fatal(err)
	}
	for bearer, want := range map[string]string{"token-for-support-0001": "acme/support", "token-for-support-0002": "acme/support",
		"token-for-billing-0002": "acme/billing", "": "", "token-for-support-000": "", "token-for-support-00011": ""} {
		if got, ok := tok.Repo(bearer); got != want || ok != (want != "") {
			t.Errorf("Repo(%q) = %q, %v; want %q", bearer, got, ok, want)
		}
	}
	if empty, _ := ParseTokens(""); !empty.Empty() {
		t.Error("an empty variable configured tokens")
	}
	bad := []struct{ in, want string }{
		{"acme/support", "want owner/repo=TOKEN"},
		{"support=token-for-support-0001", `"support" is not owner/repo`},
		{"acme/support=short", "shorter than 16"},
		{"acme/a=token-for-support-0001,acme/b=token-for-support-0001", "each token stands for one repository"},
	}
	for _, b := range bad {
		_, err := ParseTokens(b.in)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseTokens(%q) = %v, want %q", b.in, err, b.want)
		}
		if err != nil && strings.Contains(err.Error(), "token-for") {
			t.Errorf("error %q shows the token", err)
		}
	}
}

func TestParseJudgeKeys(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OPENAI_API_KEY": "sk-1", "ANTHROPIC_KEY": "sk-2"}
	k, err := ParseJudgeKeys("Acme/Support=OPENAI_API_KEY, acme/billing=ANTHROPIC_KEY", func(v string) string { return env[v] })
	if err != nil {
		t.Fatal(err)
	}
	if k.key("acme/support", "OPENAI_API_KEY") != "sk-1" || k.key("acme/billing", "OPENAI_API_KEY") != "" || k.key("acme/billing", "ANTHROPIC_KEY") != "sk-2" {
		t.Errorf("grants = %v", k)
	}
	if none, err := ParseJudgeKeys(" ", nil); none != nil || err != nil {
		t.Errorf("empty variable: %v, %v", none, err)
	}
	for _, in := range []string{"acme/support=PROMPTGATE_WEBHOOK_SECRET", "acme/support=GITHUB_TOKEN", "acme/support", "support=X"} {
		if _, err := ParseJudgeKeys(in, nil); err == nil {
			t.Errorf("ParseJudgeKeys(%q) accepted it", in)
		}
	}
}
