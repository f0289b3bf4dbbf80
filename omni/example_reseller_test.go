package omni_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// A transfer whose answer is lost is not sent again: the caller finds it
// in the credit logs instead.
func ExampleClient_Transfer() {
	s := omnitest.NewServer(nil)
	defer s.Close()
	// The vendor applies the transfer, then a proxy answers 502.
	s.Fail(omnitest.Fault{Endpoint: omnitest.TransferPath, Status: 502, AfterApply: true, Times: 1})

	c, err := omni.NewClient(s.URL, omnitest.DefaultAPIKey)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	req := omni.TransferRequest{OrgID: 4002, Minutes: 20, CostPerMin: 0.2}
	_, err = c.Transfer(ctx, req)
	if !errors.Is(err, omni.ErrOutcomeUnknown) {
		panic(err)
	}
	page, err := c.CreditLogs(ctx, omni.CreditLogsRequest{})
	if err != nil {
		panic(err)
	}
	for _, l := range page.Logs {
		if l.Type == omni.LogTransfer && l.To.ID == req.OrgID && l.Credit == float64(req.Minutes)*req.CostPerMin {
			fmt.Println("done:", l.Notes)
		}
	}
	fmt.Println("requests sent:", s.Calls(omnitest.TransferPath))
	// Output:
	// done: Transfer of 20 minutes at 0.20/min
	// requests sent: 1
}
