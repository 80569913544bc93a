"""Information sharing system (信息共享): enterprise and goods filing, the declaration hub,
three-document reconciliation and the CEB XML codec."""
