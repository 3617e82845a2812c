package eval

import "github.com/promptgate/promptgate/internal/llm"

// EstimateInputTokens estimates the prompt tokens of a chat request from its
// rendered messages; see llm.EstimateInputTokens for the heuristic.
func EstimateInputTokens(msgs []llm.Message) int { return llm.EstimateInputTokens(msgs) }
