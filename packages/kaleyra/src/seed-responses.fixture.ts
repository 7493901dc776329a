// The response section of kaleyra/send-text-messages.txt, byte for byte (the 202 sample is not
// valid JSON: commas are missing). Titles are the headings printed above each sample.
// Test fixture only: excluded from the build by tsconfig.build.json.

export interface SeedResponse {
  title: string;
  status: number;
  body: string;
}

export const SEED_RESPONSES: readonly SeedResponse[] = [
  {
    title: '202 Accepted',
    status: 202,
    body: `{
"code":"WA202"
"message":"Request Accepted",
"data":{
"message_id":"AXXXXXXXXXXXXXXXXXXX"
}
"error":{}
}`,
  },
  {
    title: '401 Unauthorized',
    status: 401,
    body: `{
"code": "RBC001",
"message": "Incorrect SID or API key.",
"data": [],
"error": {
"error": "Incorrect SID or API key."
}
}`,
  },
  {
    title: '401 Unauthorized phone number',
    status: 401,
    body: `{
"code": "WA401",
"message": "Phone number is not present or does not belong to the account.",
"data": {},
"error": {
"phone_number": "Phone number is not present or does not belong to the account."
}
}`,
  },
  {
    title: '400 Incorrect payload',
    status: 400,
    body: `{
"code": "WA400",
"message": "Refer to correct payload format",
"data": {},
"error": {
"payload": "Incorrect payload format"
}
}`,
  },
  {
    title: '500 Internal Server Error',
    status: 500,
    body: `{
"code": "WA500",
"message": "Please try again later",
"data": {},
"error": {
"error": "Internal server error"
}
}`,
  },
  {
    title: '400 Low balance',
    status: 400,
    body: `{
"code": "E110",
"message": "Please check your balance, You have a low balance!",
"data": {},
"error": {
"balance": "Please check your balance, You have a low balance!"
}
}`,
  },
  {
    title: '401 Unauthorised Account type',
    status: 401,
    body: `{
"code": "WA-401",
"message": "API is not available for given customer.Please contact support for more info",
"data": {},
"error": {
"account": "API is not available for given customer.Please contact support for more info"
}
}`,
  },
  {
    title: '401 Unauthorized phone number version',
    status: 401,
    body: `{
"code": "WA-401",
"message": "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint.",
"data": {},
"error": {
"phone_number": "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint."
}
}`,
  },
];
