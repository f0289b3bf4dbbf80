package decoders

import (
	"fmt"
	"reflect"

	"github.com/resellerbot/resellerbot/internal/omniwire"
	"github.com/resellerbot/resellerbot/omni"
)

// Response is the whole body in the wire types. Its menus are maps, which
// each library decodes by itself, where omniwire.MenuFlags would call
// encoding/json whichever library is measured.
type Response = omniwire.Response[omniwire.User[omniwire.MenuMap], omniwire.MenuMap]

// WireOrg is one org in the wire types, for decoding org by org.
type WireOrg = omniwire.Org[omniwire.User[omniwire.MenuMap]]

// Equal reports whether two snapshots hold the same data, with a reason
// when they do not. Flags compare by their keys, since a decoder may build
// an empty extra list where another leaves it nil.
func Equal(a, b *omni.Snapshot) (bool, string) {
	if len(a.Orgs) != len(b.Orgs) || a.Reseller != b.Reseller || !a.Scope.Equal(b.Scope) ||
		a.TotalOrgs != b.TotalOrgs || a.TotalUsers != b.TotalUsers {
		return false, fmt.Sprintf("top level: %+v vs %+v", *a, *b)
	}
	for i := range a.Orgs {
		x, y := a.Orgs[i], b.Orgs[i]
		if len(x.Users) != len(y.Users) {
			return false, fmt.Sprintf("org %d: %d vs %d users", x.ID, len(x.Users), len(y.Users))
		}
		for j := range x.Users {
			u, v := x.Users[j], y.Users[j]
			if !u.Menus.Equal(v.Menus) {
				return false, fmt.Sprintf("org %d user %d: menus %v vs %v", x.ID, u.ID, u.Menus.Keys(), v.Menus.Keys())
			}
			u.Menus, v.Menus = omni.Flags{}, omni.Flags{}
			if !reflect.DeepEqual(u, v) {
				return false, fmt.Sprintf("org %d: user %+v vs %+v", x.ID, u, v)
			}
		}
		x.Users, y.Users = nil, nil
		if !reflect.DeepEqual(x, y) {
			return false, fmt.Sprintf("org %+v vs %+v", x, y)
		}
	}
	return true, ""
}

// Plain is the body in plain Go types, for the libraries' best case.
type Plain struct {
	Success  bool `json:"success"`
	Reseller struct {
		ID                  int64  `json:"id"`
		Name                string `json:"name"`
		ConcurrentCallLimit int    `json:"concurrent_call_limit"`
	} `json:"reseller_organization"`
	Orgs          []PlainOrg `json:"organizations"`
	AccessControl struct {
		Menus map[string]bool `json:"dashboard_menu_access"`
	} `json:"reseller_access_control"`
	TotalOrgs  int `json:"total_organizations"`
	TotalUsers int `json:"total_users_across_orgs"`
}

type PlainOrg struct {
	ID                  int64       `json:"id"`
	Name                string      `json:"name"`
	CostPerMin          float64     `json:"cost_per_min"`
	Balance             float64     `json:"org_balance"`
	BalanceCurrency     string      `json:"reseller_org_balance_currency_symbol"`
	UserCurrency        string      `json:"org_user_currency_symbol"`
	ConcurrentCallLimit int         `json:"concurrent_call_limit"`
	Timezone            string      `json:"timezone"`
	Created             *string     `json:"created_date"`
	Users               []PlainUser `json:"users"`
}

type PlainUser struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Email       string          `json:"email"`
	Phone       any             `json:"phone"`
	LoginDate   *string         `json:"login_date"`
	IsActive    bool            `json:"is_active"`
	ExpiryDate  *string         `json:"expiry_date"`
	AccessLevel any             `json:"access_level"`
	Menus       map[string]bool `json:"dashboard_menu_access"`
}
