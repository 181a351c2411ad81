package netns

// ProbePath is the lblab binary that runs `lblab probe` inside a node: the
// nodes share the machine's file system, so it is the one the lab's node
// agents run. "" when it cannot be found.
func (b *backend) ProbePath() string {
	self, err := selfBinary()
	if err != nil {
		return ""
	}
	return self
}
