package main

import (
	"context"
	"fmt"
	"time"

	"github.com/go-co-op/gocron/v2"
)

// startPolling runs poll every interval with gocron, the first run right
// away. Singleton mode means a slow poll delays the next instead of
// overlapping it. poll's context ends when ctx does or the scheduler shuts
// down. The returned stop waits up to stopTimeout for a poll in flight.
func startPolling(ctx context.Context, interval, stopTimeout time.Duration, poll func(ctx context.Context)) (stop func() error, err error) {
	s, err := gocron.NewScheduler(gocron.WithStopTimeout(stopTimeout))
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	_, err = s.NewJob(
		gocron.DurationJob(interval),
		gocron.NewTask(poll),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithStartAt(gocron.WithStartImmediately()),
		gocron.WithContext(ctx),
		gocron.WithName("poll"),
	)
	if err != nil {
		s.Shutdown()
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	s.Start()
	return s.Shutdown, nil
}
