package llm

import "unicode/utf8"

// Token estimates, for runs that could not be made (offline with no recorded
// response, or no API key) so a report can still show a prompt's size, and
// for pacing calls to a tokens-per-minute limit before the usage is known. The
// heuristic is OpenAI's rule of thumb for English: about 4 characters per
// token, plus the chat format's overhead of about 4 tokens per message and 3
// to prime the reply. It is within roughly ±25% for English prose and
// under-counts code, JSON and non-Latin scripts; it is never mixed into the
// token means of graded runs, which use the usage the endpoint reported.
const (
	charsPerToken         = 4
	tokensPerMessage      = 4
	tokensPerReplyPriming = 3
)

// EstimateInputTokens estimates the prompt tokens of a chat request from its
// rendered messages (see the heuristic above).
func EstimateInputTokens(msgs []Message) int {
	if len(msgs) == 0 {
		return 0
	}
	n := tokensPerReplyPriming
	for _, m := range msgs {
		chars := utf8.RuneCountInString(m.Role) + utf8.RuneCountInString(m.Content)
		n += tokensPerMessage + (chars+charsPerToken-1)/charsPerToken
	}
	return n
}
