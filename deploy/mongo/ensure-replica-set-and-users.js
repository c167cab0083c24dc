// Run by the mongo container's health check, signed in as the root user from .env: initiates the
// one-member replica set, then makes sure each Passage process kind has its own user with readWrite
// on its own database only (no user can read another service's data). Idempotent; the passwords
// come from the container's environment (.env), never from this file. A password changed in .env
// later is applied with db.getSiblingDB('admin').changeUserPassword(user, pwd) (see README).
try { rs.status() } catch (e) { rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'mongo:27017'}]}) }
if (!db.hello().isWritablePrimary) quit(1)

const prefix = process.env.PASSAGE_DB_PREFIX || 'passage_'
const admin = db.getSiblingDB('admin')
for (const service of ['detention', 'readmission', 'voluntary_return', 'gateway']) {
  const pwd = process.env['MONGO_' + service.toUpperCase() + '_PASSWORD']
  if (!pwd) { print('no password for the ' + service + ' user in the environment'); quit(1) }
  if (!admin.getUser(service)) {
    admin.createUser({user: service, pwd: pwd, roles: [{role: 'readWrite', db: prefix + service}]})
  }
}
