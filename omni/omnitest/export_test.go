package omnitest

// Encodes reports how many times s has encoded its payload, so tests can
// check that the body is encoded once per version.
func Encodes(s *Server) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.encodes
}
