package llm

// ResponseCache is the response store the client reads before calling a model and
// fills after a successful call. *cache.Store implements it; the interface lives
// here, with its consumer, because the cache package already imports llm for
// Message and Params.
type ResponseCache interface {
	// Lookup returns the recorded response for exactly this call, if any:
	// the provider's name and endpoint (config.Provider.Endpoint), the model name
	// sent to it, the messages and the parameters. A damaged entry is a miss,
	// not an error; errors are for I/O failures.
	Lookup(provider, endpoint, model string, msgs []Message, p Params) (Response, bool, error)
	// Save records a successful response for this call.
	Save(provider, endpoint, model string, msgs []Message, p Params, r Response) error
}

// CacheMode says how the client uses its ResponseCache.
type CacheMode int

const (
	// CacheReadWrite answers from the cache when it can and records every new
	// response. It is the default.
	CacheReadWrite CacheMode = iota
	// CacheOff never reads or writes the cache (--no-cache).
	CacheOff
	// CacheOffline answers only from the cache and fails a miss with a
	// CallError of kind CacheMiss, never calling a model (--offline).
	CacheOffline
)

// String names the mode the way the CLI flags do.
func (m CacheMode) String() string {
	switch m {
	case CacheReadWrite:
		return "read-write"
	case CacheOff:
		return "off"
	case CacheOffline:
		return "offline"
	default:
		return "unknown"
	}
}
