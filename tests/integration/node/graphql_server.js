// A GraphQL server (graphql + graphql-http) on HOST:PORT/graphql for the tests.
const http = require('http');
const { buildSchema } = require('graphql');
const { createHandler } = require('graphql-http/lib/use/http');

const schema = buildSchema(`
  type User { id: ID!, name: String! }
  type Query { user(id: ID!): User, users: [User!]!, hello: String }
  type Mutation { addUser(name: String!): User! }
`);
const users = [{ id: '1', name: 'ada' }, { id: '2', name: 'grace' }];
const root = {
  user: ({ id }) => {
    const u = users.find((x) => x.id === id);
    if (!u) throw new Error(`no user ${id}`);
    return u;
  },
  users: () => users,
  hello: () => 'world',
  addUser: ({ name }) => {
    const u = { id: String(users.length + 1), name };
    users.push(u);
    return u;
  },
};
const handler = createHandler({ schema, rootValue: root });
const [host, port] = [process.argv[2], Number(process.argv[3])];
http
  .createServer((req, res) => (req.url.startsWith('/graphql') ? handler(req, res) : res.writeHead(404).end()))
  .listen(port, host, () => console.log('ready'));
